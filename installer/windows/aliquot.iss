; Inno Setup script: a per-user Windows installer for the one-folder bundle in dist\aliquot.
; Build on Windows after `make dist`:  iscc installer\windows\aliquot.iss
; The clinic database lives in %LOCALAPPDATA%\Aliquot (platformdirs) and is never touched
; by install, upgrade or uninstall.

#define AppVersion "0.1.0"

[Setup]
AppId={{5C1F8C2E-6B8B-4C9F-9E61-0A6D1A2F3B71}
AppName=Aliquot
AppVersion={#AppVersion}
AppPublisher=Aliquot
DefaultDirName={localappdata}\Programs\Aliquot
DefaultGroupName=Aliquot
PrivilegesRequired=lowest
DisableProgramGroupPage=yes
OutputDir=..\..\dist
OutputBaseFilename=Aliquot-{#AppVersion}-setup
SetupIconFile=..\build\icons\aliquot.ico
UninstallDisplayIcon={app}\aliquot.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "..\..\dist\aliquot\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{userprograms}\Aliquot"; Filename: "{app}\aliquot.exe"
Name: "{userdesktop}\Aliquot"; Filename: "{app}\aliquot.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\aliquot.exe"; Description: "Start Aliquot"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder. The database in {localappdata}\Aliquot is the clinic's record
; and is deliberately not listed here.
Type: filesandordirs; Name: "{app}"
