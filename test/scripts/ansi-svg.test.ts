// The screenshot renderer: SGR colours and attributes from a tmux capture
// become SVG runs placed on the cell grid, with text escaped for XML.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {applySgr, captureToSvg, color256, parseCapture} from '../../scripts/ansi-svg.js';

test('SGR codes set and reset colours and attributes', () => {
  let s = applySgr({}, [1, 36]);
  assert.equal(s.bold, true);
  assert.equal(s.fg, '#29b8db');
  s = applySgr(s, [38, 5, 196, 48, 2, 1, 2, 3]);
  assert.equal(s.fg, '#ff0000');
  assert.equal(s.bg, '#010203');
  s = applySgr(s, [39, 22]);
  assert.equal(s.fg, undefined);
  assert.equal(s.bold, false);
  assert.deepEqual(applySgr(s, [0]), {});
  assert.deepEqual(applySgr({bold: true}, []), {});
});

test('the 256-colour palette: 16 ANSI colours, the cube, the greys', () => {
  assert.equal(color256(16), '#000000');
  assert.equal(color256(231), '#ffffff');
  assert.equal(color256(232), '#080808');
  assert.equal(color256(255), '#eeeeee');
});

test('a capture becomes cells, one per code point, cut to the width', () => {
  const grid = parseCapture('\u001B[31mab\u001B[0mc›\nxyz', 3, 3);
  assert.deepEqual(
    grid[0]!.map(c => c.ch),
    ['a', 'b', 'c'],
  );
  assert.equal(grid[0]![0]!.style.fg, '#f14c4c');
  assert.equal(grid[0]![2]!.style.fg, undefined);
  assert.equal(grid.length, 3);
});

test('the SVG places runs on the grid, escapes text, and draws reverse video', () => {
  const svg = captureToSvg('ab\u001B[7m<&>\u001B[27m  x', {columns: 10, rows: 1, fontSize: 10});
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, />&lt;&amp;&gt;<\/text>/);
  // "<&>" starts at column 2: x = padding 14 + 2 cells of 6 px.
  assert.match(svg, /<text x="26\.0"[^>]*fill="#1e1e1e"[^>]*textLength="18\.0"/);
  assert.match(svg, /<rect x="26\.0" y="14" width="18\.0" height="13" fill="#d4d4d4"\/>/);
  assert.match(svg, /<text x="56\.0"[^>]*textLength="6\.0"[^>]*>x<\/text>/); // column 7; the spaces before it are not drawn
});
