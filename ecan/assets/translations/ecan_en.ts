<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en">
<context>
    <name>AvatarsPage</name>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="220" />
        <source>“{name}” is the avatar of %n agent(s) ({agents}): give them another avatar first.</source>
        <translation>
            <numerusform>“{name}” is the avatar of the agent {agents}: give it another avatar first.</numerusform>
            <numerusform>“{name}” is the avatar of %n agents ({agents}): give them another avatar first.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="226" />
        <source>“{name}” is the avatar of %n agent(s): give them another avatar first.</source>
        <translation>
            <numerusform>“{name}” is the avatar of an agent: give it another avatar first.</numerusform>
            <numerusform>“{name}” is the avatar of %n agents: give them another avatar first.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="369" />
        <source>{shown} of %n avatar(s)</source>
        <translation>
            <numerusform>{shown} of %n avatar</numerusform>
            <numerusform>{shown} of %n avatars</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="370" />
        <source>%n avatar(s)</source>
        <translation>
            <numerusform>%n avatar</numerusform>
            <numerusform>%n avatars</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="376" />
        <source>%n built-in avatar(s) are ready to use: choose “Built-in avatars” above to see them.</source>
        <translation>
            <numerusform>%n built-in avatar is ready to use: choose “Built-in avatars” above to see it.</numerusform>
            <numerusform>%n built-in avatars are ready to use: choose “Built-in avatars” above to see them.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ExportActions</name>
    <message numerus="yes">
        <location filename="../../ui/export.py" line="88" />
        <source>Saved %n copies to {folder}.</source>
        <translation>
            <numerusform>Saved %n copy to {folder}.</numerusform>
            <numerusform>Saved %n copies to {folder}.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/export.py" line="92" />
        <source>%n could not be saved:</source>
        <translation>
            <numerusform>%n could not be saved:</numerusform>
            <numerusform>%n could not be saved:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GenerateDialog</name>
    <message numerus="yes">
        <location filename="../../ui/generate_dialog.py" line="444" />
        <source>Analysing the photo and drawing %n candidates… this can take a minute or two.</source>
        <translation>
            <numerusform>Analysing the photo and drawing %n candidate… this can take a minute or two.</numerusform>
            <numerusform>Analysing the photo and drawing %n candidates… this can take a minute or two.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/generate_dialog.py" line="577" />
        <source>Kept %n avatar(s); the others were discarded.</source>
        <translation>
            <numerusform>Kept %n avatar; the others were discarded.</numerusform>
            <numerusform>Kept %n avatars; the others were discarded.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/generate_dialog.py" line="702" />
        <source>%n task(s) · {rate} succeeded · analyse {a} s, generate {g} s on average · {credits} images used</source>
        <translation>
            <numerusform>%n task · {rate} succeeded · analyse {a} s, generate {g} s on average · {credits} images used</numerusform>
            <numerusform>%n tasks · {rate} succeeded · analyse {a} s, generate {g} s on average · {credits} images used</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LocalAvatarsOffer</name>
    <message numerus="yes">
        <location filename="../../ui/account_dialogs.py" line="404" />
        <source>This computer has %n avatar(s) you added without signing in. Move them into {account}'s library?</source>
        <translation>
            <numerusform>This computer has %n avatar you added without signing in. Move it into {account}'s library?</numerusform>
            <numerusform>This computer has %n avatars you added without signing in. Move them into {account}'s library?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/account_dialogs.py" line="421" />
        <source>Moved %n avatar(s) into your account; they upload now.</source>
        <translation>
            <numerusform>Moved %n avatar into your account; it uploads now.</numerusform>
            <numerusform>Moved %n avatars into your account; they upload now.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="679" />
        <source>%n of the selected avatars cannot be deleted and stay:</source>
        <translation>
            <numerusform>%n of the selected avatars cannot be deleted and stays:</numerusform>
            <numerusform>%n of the selected avatars cannot be deleted and stay:</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="683" />
        <source>Delete %n avatar(s)? They move to the trash on all your computers; Edit &gt; Trash… brings them back.</source>
        <translation>
            <numerusform>Delete %n avatar? It moves to the trash on all your computers; Edit &gt; Trash… brings it back.</numerusform>
            <numerusform>Delete %n avatars? They move to the trash on all your computers; Edit &gt; Trash… brings them back.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="697" />
        <source>Moved %n avatar(s) to the trash. Edit &gt; Trash… brings them back.</source>
        <translation>
            <numerusform>Moved %n avatar to the trash. Edit &gt; Trash… brings it back.</numerusform>
            <numerusform>Moved %n avatars to the trash. Edit &gt; Trash… brings them back.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="748" />
        <source>Save %n copies to folder…</source>
        <translation>
            <numerusform>Save %n copy to folder…</numerusform>
            <numerusform>Save %n copies to folder…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="772" />
        <source>Retrying %n upload(s).</source>
        <translation>
            <numerusform>Retrying %n upload.</numerusform>
            <numerusform>Retrying %n uploads.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="834" />
        <source>Restored %n avatar(s) from the cloud.</source>
        <translation>
            <numerusform>Restored %n avatar from the cloud.</numerusform>
            <numerusform>Restored %n avatars from the cloud.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="1043" />
        <source>Signed out · %n waiting</source>
        <translation>
            <numerusform>Signed out · %n waiting</numerusform>
            <numerusform>Signed out · %n waiting</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrashDialog</name>
    <message numerus="yes">
        <location filename="../../ui/trash_dialog.py" line="158" />
        <source>in %n day(s)</source>
        <translation>
            <numerusform>in %n day</numerusform>
            <numerusform>in %n days</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/trash_dialog.py" line="218" />
        <source>Restored %n avatar(s).</source>
        <translation>
            <numerusform>Restored %n avatar.</numerusform>
            <numerusform>Restored %n avatars.</numerusform>
        </translation>
    </message>
</context>
</TS>