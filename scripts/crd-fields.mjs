// Unknown-field check for @kubernetes-models objects. Their compiled validators accept any
// extra key (the API server prunes or, with strict field validation, refuses them at sync),
// so a typo such as `podMetricEndpoints` would pass validate(). The package's TypeScript
// declarations list each type's fields; this walks an object along them, as
// `kubectl apply --validate=strict` would, and names every key no declaration has.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const NODE_MODULES = join(dirname(fileURLToPath(import.meta.url)), "node_modules");
const cache = new Map();

// The first interface in a .d.ts: its fields (name -> type text) and the files it extends.
function parse(file) {
  if (cache.has(file)) return cache.get(file);
  let found = null;
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    const imports = new Map();
    for (const m of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
      const spec = m[2].replace(/\.js$/, "");
      const base = spec.startsWith(".") ? dirname(file) : NODE_MODULES;
      imports.set(m[1], join(base, `${spec}.d.ts`));
    }
    const head = text.match(/^export interface \w+(?: extends ([\w, ]+))? \{$/m);
    if (head) {
      const body = text.slice(head.index, text.indexOf("\n}", head.index));
      const fields = new Map();
      for (const m of body.matchAll(/^ {4}"(\w+)"\??: (.*?);?$/gm)) fields.set(m[1], m[2]);
      const parents = (head[1] ?? "").split(",").map((s) => imports.get(s.trim())).filter(Boolean);
      found = { fields, imports, parents };
    }
  }
  cache.set(file, found);
  return found;
}

function allFields(file) {
  const type = parse(file);
  if (!type) return null;
  const fields = new Map(type.fields);
  for (const parent of type.parents) {
    for (const [k, v] of allFields(parent)?.fields ?? []) fields.set(k, v);
  }
  return { fields, imports: type.imports };
}

// Keys of `value` that the declaration in `file` does not have, as dotted paths.
export function unknownFields(value, file, path = "") {
  const type = allFields(file);
  if (!type || value === null || typeof value !== "object" || Array.isArray(value)) return [];
  const unknown = [];
  for (const [key, child] of Object.entries(value)) {
    const where = path ? `${path}.${key}` : key;
    const declared = type.fields.get(key);
    if (declared === undefined) {
      unknown.push(where);
      continue;
    }
    const ref = declared.match(/^(?:Array<)?(\w+)>?$/)?.[1];
    const next = ref && type.imports.get(ref);
    if (!next) continue; // a scalar, a map or a union: nothing declared further down
    const items = declared.startsWith("Array<") && Array.isArray(child) ? child : [child];
    items.forEach((item, i) => {
      unknown.push(...unknownFields(item, next, items === child ? `${where}[${i}]` : where));
    });
  }
  return unknown;
}

// The declaration file of a model class: <package>/<group>/<version>/<Kind>.d.ts.
export function declarationOf(pkg, apiVersion, kind) {
  return join(NODE_MODULES, pkg, apiVersion, `${kind}.d.ts`);
}
