#!/usr/bin/env node
// Build-time generator: extracts type and field descriptions for `kubectl explain` from the JSDoc
// in the kubernetes-types declarations (which carry the upstream API descriptions) into
// dist/schema-docs.json, keyed by OpenAPI definition name. Nothing upstream is committed: the text
// only ever lands in dist/. Missing package → an empty file and a warning (the server tolerates it).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'schema-docs.json');

/** kubernetes-types file (without .d.ts) → OpenAPI package prefix. */
function packageOf(rel) {
  if (rel === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (rel === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (rel === 'util/intstr') return 'io.k8s.apimachinery.pkg.util.intstr';
  if (rel === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (rel === 'version') return 'io.k8s.apimachinery.pkg.version';
  if (rel.startsWith('apiextensions/')) return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${rel.split('/')[1]}`;
  const [group, version] = rel.split('/');
  return group && version ? `io.k8s.api.${group}.${version}` : undefined;
}

function findDeclarations(dir, acc = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findDeclarations(p, acc);
    else if (name.endsWith('.d.ts')) acc.push(p);
  }
  return acc;
}

/** JSDoc text of a node, as one string (multi-paragraph comments keep their blank lines). */
function docOf(node, sf) {
  const jsDocs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const texts = jsDocs.map((d) => (typeof d.comment === 'string' ? d.comment : ts.getTextOfJSDocComment(d.comment) ?? '')).filter(Boolean);
  void sf;
  return texts.join('\n\n').trim();
}

let pkgDir;
try {
  pkgDir = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));
} catch {
  console.warn('gen-schema-docs: kubernetes-types is not installed; writing empty docs');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, '{}');
  process.exit(0);
}

const docs = {};
for (const file of findDeclarations(pkgDir)) {
  const rel = relative(pkgDir, file).replace(/\.d\.ts$/, '').split('\\').join('/');
  const pkg = packageOf(rel);
  if (!pkg) continue;
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  for (const stmt of sf.statements) {
    if (!ts.isInterfaceDeclaration(stmt) && !ts.isTypeAliasDeclaration(stmt)) continue;
    const entry = {};
    const d = docOf(stmt, sf);
    if (d) entry.d = d;
    if (ts.isInterfaceDeclaration(stmt)) {
      const fields = {};
      for (const m of stmt.members) {
        if (!ts.isPropertySignature(m) || !m.name) continue;
        const name = ts.isStringLiteral(m.name) ? m.name.text : m.name.getText(sf);
        const fd = docOf(m, sf);
        if (fd) fields[name] = fd;
      }
      if (Object.keys(fields).length > 0) entry.f = fields;
    }
    if (entry.d || entry.f) docs[`${pkg}.${stmt.name.text}`] = entry;
  }
}
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(docs));
console.log(`gen-schema-docs: ${Object.keys(docs).length} types → ${relative(root, out)}`);
