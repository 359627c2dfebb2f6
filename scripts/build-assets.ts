/**
 * Second half of `npm run build`: copies the dashboard's files into `dist/dashboard/assets`, and Mermaid's
 * browser build (its ES module entry and chunks, without source maps) into `assets/vendor/mermaid` from
 * the `mermaid` devDependency. The package then serves Mermaid with no `mermaid` dependency at install,
 * which would bring 113 packages and 150 MB for one browser bundle.
 */
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const assets = join(root, 'dist/dashboard/assets');
cpSync(join(root, 'src/dashboard/assets'), assets, { recursive: true });

const mermaidDist = dirname(createRequire(import.meta.url).resolve('mermaid'));
const vendor = join(assets, 'vendor/mermaid');
rmSync(vendor, { recursive: true, force: true });
mkdirSync(join(vendor, 'chunks/mermaid.esm.min'), { recursive: true });
cpSync(join(mermaidDist, 'mermaid.esm.min.mjs'), join(vendor, 'mermaid.esm.min.mjs'));
const chunks = join(mermaidDist, 'chunks/mermaid.esm.min');
let copied = 0;
for (const name of readdirSync(chunks)) {
  if (!name.endsWith('.mjs')) continue;
  cpSync(join(chunks, name), join(vendor, 'chunks/mermaid.esm.min', name));
  copied++;
}
console.log(`dashboard assets copied, with Mermaid's entry and ${copied} chunks`);
