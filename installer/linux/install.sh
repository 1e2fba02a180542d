#!/usr/bin/env bash
# Install the unpacked Aliquot bundle for this user: a launcher in the menu and `aliquot`
# on the PATH. The clinic database stays in the user's data folder, never in here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target="${XDG_DATA_HOME:-$HOME/.local/share}/aliquot-app"
mkdir -p "$target" "$HOME/.local/bin" "${XDG_DATA_HOME:-$HOME/.local/share}/applications" \
         "${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps"
rm -rf "$target/aliquot" && cp -a "$here/aliquot" "$target/aliquot"
ln -sf "$target/aliquot/aliquot" "$HOME/.local/bin/aliquot"
cp "$here/aliquot.png" "${XDG_DATA_HOME:-$HOME/.local/share}/icons/hicolor/256x256/apps/aliquot.png"
sed "s|^Exec=aliquot|Exec=$target/aliquot/aliquot|" "$here/aliquot.desktop" \
  > "${XDG_DATA_HOME:-$HOME/.local/share}/applications/aliquot.desktop"
echo "Aliquot installed. Start it from the applications menu, or run: aliquot"
