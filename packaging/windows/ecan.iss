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
UninstallDisplayIcon={app}\ecan-gui.exe
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

; The shortcuts start ecan-gui.exe, the windowed program (no console window beside the app);
; ecan.exe is the console program for the command line.
[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\ecan-gui.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\ecan-gui.exe"; Tasks: desktopicon

; "Open with ecan" in Explorer for the pictures and videos ecan imports: listed as a choice, never
; made the default program. Explorer starts one process per file; each hands its file to the
; running window (the single-instance socket).
[Registry]
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\ecan-gui.exe"" gui ""%1"""
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".png"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".jpg"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".jpeg"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".gif"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".webp"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".mp4"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\Applications\ecan-gui.exe\SupportedTypes"; ValueType: string; ValueName: ".webm"; ValueData: ""
Root: HKCU; Subkey: "Software\Classes\.png\OpenWithList\ecan-gui.exe"; ValueType: none; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.jpg\OpenWithList\ecan-gui.exe"; ValueType: none; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.jpeg\OpenWithList\ecan-gui.exe"; ValueType: none; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.gif\OpenWithList\ecan-gui.exe"; ValueType: none; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.webp\OpenWithList\ecan-gui.exe"; ValueType: none; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.mp4\OpenWithList\ecan-gui.exe"; ValueType: none; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\.webm\OpenWithList\ecan-gui.exe"; ValueType: none; Flags: uninsdeletekey

[Run]
Filename: "{app}\ecan-gui.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; The user's library (%LOCALAPPDATA%\ecan) is deliberately left alone on uninstall:
; uninstalling the program must never delete a user's avatars.
