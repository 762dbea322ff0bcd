// Copies icons/ to dist/icons/: n8n resolves a `file:` icon relative to the compiled node or credential file,
// and it must stay inside the package.
const { src, dest } = require('gulp');

function copyIcons() {
  return src(['icons/*.{png,svg}'], { base: '.', encoding: false }).pipe(dest('dist'));
}

exports['build:icons'] = copyIcons;
