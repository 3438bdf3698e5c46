import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserOpener } from '../../cli/commands/ui.js';

test('mk8s ui opens a browser only with a display and xdg-open', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mk8s-ui-open-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'xdg-open'), '#!/bin/sh\n');
  chmodSync(join(dir, 'xdg-open'), 0o755);
  t.is(browserOpener({ PATH: dir }), undefined, 'no display: print the URL only');
  t.is(browserOpener({ PATH: dir, DISPLAY: ':0' }), join(dir, 'xdg-open'));
  t.is(browserOpener({ PATH: dir, WAYLAND_DISPLAY: 'wayland-0' }), join(dir, 'xdg-open'));
  t.is(browserOpener({ PATH: '/nonexistent', DISPLAY: ':0' }), undefined, 'no xdg-open: print the URL only');
});
