// Validate every Prometheus Operator (monitoring.coreos.com) and External Secrets
// (external-secrets.io) object in the given YAML files or directories against the CRD schemas
// from @kubernetes-models/prometheus-operator and @kubernetes-models/external-secrets.
// kubernetes-validate has no schema for these kinds, so without this a typo'd PodMonitor
// field renders, passes every other check, and is dropped by the operator in the cluster.
// Usage: node scripts/validate-crds.mjs PATH...   (exit 1 on any invalid or unknown object)
import { existsSync } from "node:fs";
import * as v1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import * as eso from "@kubernetes-models/external-secrets/external-secrets.io/v1";
import { declarationOf, unknownFields } from "./crd-fields.mjs";
import { validateAll } from "./validate-objects.mjs";

// apiVersion -> [npm package, its models by kind]. Another operator's CRDs are one line here;
// every object of a group listed here is checked, and one whose version or kind has no model
// fails. validate() checks types and patterns; unknownFields() the keys it lets through.
const MODELS = {
  "monitoring.coreos.com/v1": ["@kubernetes-models/prometheus-operator", v1],
  "external-secrets.io/v1": ["@kubernetes-models/external-secrets", eso],
};
const GROUPS = new Set(Object.keys(MODELS).map((v) => v.split("/")[0]));

function check(obj) {
  const [pkg, models] = MODELS[obj.apiVersion] ?? [];
  const Model = models?.[obj.kind];
  const declaration = pkg && declarationOf(pkg, obj.apiVersion, obj.kind);
  if (!Model || !existsSync(declaration)) {
    throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}; add it to MODELS`);
  }
  new Model(obj).validate();
  const unknown = unknownFields(obj, declaration);
  if (unknown.length) throw new Error(`unknown field(s): ${unknown.join(", ")}`);
}

validateAll({
  usage: "node scripts/validate-crds.mjs PATH...",
  wanted: (obj) => GROUPS.has(String(obj.apiVersion ?? "").split("/")[0]),
  check,
  groups: [...GROUPS].join(", "),
  what: "operator",
});
