; Inno Setup script for ecan on Windows (per-user install, no admin rights needed).
; Build on Windows after `pyinstaller packaging\ecan.spec`:  iscc packaging\windows\ecan.iss
; Cannot be built on the Linux CI machine; kept correct by review (see packaging/README.md).

#define AppName "ecan"
#define AppVersion "0.1.0"
#define AppPublisher "ecan"
#define BundleDir "..\..\dist\ecan"

[Setup]
AppId={{6B0C5E2A-8F51-4C1B-9D1E-3E0E7A5C2F10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=ecan-{#AppVersion}-windows-x64-setup
SetupIconFile=ecan.ico
UninstallDisplayIcon={app}\ecan.exe
Compression=lzma2
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "chinesesimplified"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\ecan.exe"; Parameters: "gui"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\ecan.exe"; Parameters: "gui"; Tasks: desktopicon

[Run]
Filename: "{app}\ecan.exe"; Parameters: "gui"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; The user's library (%LOCALAPPDATA%\ecan) is deliberately left alone on uninstall:
; uninstalling the program must never delete a user's avatars.
