// Validate every Prometheus Operator (monitoring.coreos.com) and External Secrets
// (external-secrets.io) object in the given YAML files or directories against the CRD schemas
// from @kubernetes-models/prometheus-operator and @kubernetes-models/external-secrets.
// kubernetes-validate has no schema for these kinds, so without this a typo'd PodMonitor
// field renders, passes every other check, and is dropped by the operator in the cluster.
// Usage: node scripts/validate-crds.mjs PATH...   (exit 1 on any invalid or unknown object)
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import * as v1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import * as eso from "@kubernetes-models/external-secrets/external-secrets.io/v1";
import { declarationOf, unknownFields } from "./crd-fields.mjs";

// apiVersion -> [npm package, its models by kind]. Another operator's CRDs are one line here;
// every object of a group listed here is checked, and one whose version or kind has no model
// fails. validate() checks types and patterns; unknownFields() the keys it lets through.
const MODELS = {
  "monitoring.coreos.com/v1": ["@kubernetes-models/prometheus-operator", v1],
  "external-secrets.io/v1": ["@kubernetes-models/external-secrets", eso],
};
const GROUPS = new Set(Object.keys(MODELS).map((v) => v.split("/")[0]));

function* yamlFiles(path) {
  if (!statSync(path).isDirectory()) {
    yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) {
    const child = join(path, name);
    if (statSync(child).isDirectory() || /\.ya?ml$/.test(name)) yield* yamlFiles(child);
  }
}

const roots = process.argv.slice(2);
if (roots.length === 0) {
  console.error("usage: node scripts/validate-crds.mjs PATH...");
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
    if (!obj || !GROUPS.has(String(obj.apiVersion ?? "").split("/")[0])) continue;
    const where = `${relative(".", file)}: ${obj.kind}/${obj.metadata?.name}`;
    const [pkg, models] = MODELS[obj.apiVersion] ?? [];
    const Model = models?.[obj.kind];
    const declaration = pkg && declarationOf(pkg, obj.apiVersion, obj.kind);
    checked++;
    if (!Model || !existsSync(declaration)) {
      console.error(`FAIL ${where}: no schema for ${obj.apiVersion} ${obj.kind}; add it to MODELS`);
      failed++;
      continue;
    }
    try {
      new Model(obj).validate();
      const unknown = unknownFields(obj, declaration);
      if (unknown.length) throw new Error(`unknown field(s): ${unknown.join(", ")}`);
      console.log(`ok   ${where}`);
    } catch (err) {
      console.error(`FAIL ${where}: ${err.message}`);
      failed++;
    }
  }
}
if (checked === 0) {
  console.error(`no ${[...GROUPS].join(", ")} objects found in ${roots.join(" ")}`);
  process.exit(1);
}
console.log(`${checked} operator object(s) checked, ${failed} invalid`);
process.exit(failed ? 1 : 0);
