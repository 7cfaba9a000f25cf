// Validate every Argo CD object under argocd/ against the Argo CD CRD schemas.
// kubernetes-validate has no schema for these kinds; @kubernetes-models/argo-cd does.
// Usage: node scripts/validate-argocd.mjs [DIR]   (exit 1 on any invalid or unknown object)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { Application, AppProject, ApplicationSet } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1";

const MODELS = { Application, AppProject, ApplicationSet };

function* yamlFiles(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* yamlFiles(path);
    else if (/\.ya?ml$/.test(name)) yield path;
  }
}

const root = process.argv[2] ?? "argocd";
let checked = 0;
let failed = 0;
for (const file of yamlFiles(root)) {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    const obj = doc.toJS();
    if (!obj || !String(obj.apiVersion ?? "").startsWith("argoproj.io/")) continue;
    const where = `${relative(".", file)}: ${obj.kind}/${obj.metadata?.name}`;
    const Model = MODELS[obj.kind];
    if (!Model) {
      console.error(`${where}: no schema for kind ${obj.kind}; add it to MODELS`);
      failed++;
      continue;
    }
    try {
      new Model(obj).validate();
      console.log(`ok   ${where}`);
    } catch (err) {
      console.error(`FAIL ${where}: ${err.message}`);
      failed++;
    }
    checked++;
  }
}
if (checked === 0) {
  console.error(`no Argo CD objects found under ${root}`);
  process.exit(1);
}
console.log(`${checked} Argo CD object(s) checked, ${failed} invalid`);
process.exit(failed ? 1 : 0);
