// The loop the validate-*.mjs scripts share: every YAML document in the PATHs given on the
// command line (files, or folders walked for *.yaml and *.yml), the objects `wanted` picks,
// each checked by `check` (which throws to say what is wrong). Prints `ok` or `FAIL` per
// object and a count, and exits 1 on any failure or when nothing was checked, 2 without PATHs.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";

export function* yamlFiles(path) {
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    if (statSync(child).isDirectory() || /\.ya?ml$/.test(name)) yield* yamlFiles(child);
  }
}

// usage: the line printed without PATHs; groups: "no GROUPS objects found"; what: "N WHAT
// object(s) checked".
export function validateAll({ usage, wanted, check, groups, what }) {
  const roots = process.argv.slice(2);
  if (roots.length === 0) {
    console.error(`usage: ${usage}`);
    process.exit(2);
  }
  let checked = 0;
  let failed = 0;
  for (const file of roots.flatMap((root) => [...yamlFiles(root)])) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      if (doc.errors.length) {
        console.error(`FAIL ${relative(".", file)}: ${doc.errors[0].message}`);
        failed++;
        continue;
      }
      const obj = doc.toJS();
      if (!obj || !wanted(obj)) continue;
      const where = `${relative(".", file)}: ${obj.kind}/${obj.metadata?.name}`;
      checked++;
      try {
        check(obj);
        console.log(`ok   ${where}`);
      } catch (err) {
        console.error(`FAIL ${where}: ${err.message}`);
        failed++;
      }
    }
  }
  if (checked === 0) {
    console.error(`no ${groups} objects found in ${roots.join(" ")}`);
    process.exit(1);
  }
  console.log(`${checked} ${what} object(s) checked, ${failed} invalid`);
  process.exit(failed ? 1 : 0);
}
