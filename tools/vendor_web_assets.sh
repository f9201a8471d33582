#!/usr/bin/env bash
# Installs the workbench's front-end libraries from the npm registry and copies their built
# files into the package (src/lantern/web/static/vendor/), so `lantern serve` needs no internet.
# Run by `make vendor` when a version changes; the copied files are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=src/lantern/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

packages=(cytoscape@3.34.4 cytoscape-fcose@2.2.0 cose-base@2.2.0 layout-base@2.0.1 vis-timeline@7.7.4)
(cd "$work" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent "${packages[@]}")
m=$work/node_modules
mkdir -p "$dest"
rm -f "$dest"/*.js "$dest"/*.css
cp "$m/cytoscape/dist/cytoscape.min.js" "$dest/"
cp "$m/layout-base/layout-base.js" "$m/cose-base/cose-base.js" "$m/cytoscape-fcose/cytoscape-fcose.js" "$dest/"
# The full UMD build (moment and vis-data inside) and its stylesheet as a file: the pages'
# Content-Security-Policy refuses the <style> element the "standalone" build would inject.
cp "$m/vis-timeline/dist/vis-timeline-graph2d.min.js" "$m/vis-timeline/dist/vis-timeline-graph2d.min.css" "$dest/"
{
  echo "# Vendored front-end libraries (written by tools/vendor_web_assets.sh; do not edit)"
  echo
  echo "| package | version | licence |"
  echo "| --- | --- | --- |"
  for p in "${packages[@]}"; do
    name=${p%@*}
    version=$(node -p "require('$m/$name/package.json').version")
    licence=$(node -p "require('$m/$name/package.json').license || ''")
    echo "| $name | $version | $licence |"
  done
} > "$dest/VERSIONS.md"
echo "vendored into $dest:"; ls -l "$dest"
