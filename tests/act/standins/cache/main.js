// Restore: cache.sh does the work; its last line is "hit=<true|false>". GitHub names the
// input variables with their hyphen (INPUT_RESTORE-KEYS), which bash cannot read.
const { execFileSync } = require("child_process");
const fs = require("fs");
const env = { ...process.env, INPUT_RESTORE_KEYS: process.env["INPUT_RESTORE-KEYS"] || "" };
const out = execFileSync("bash", [__dirname + "/cache.sh", "restore"],
  { encoding: "utf8", env, stdio: ["ignore", "pipe", "inherit"] });
process.stdout.write(out);
const hit = /^hit=true$/m.test(out) ? "true" : "false";
fs.appendFileSync(process.env.GITHUB_OUTPUT, `cache-hit=${hit}\n`);
fs.appendFileSync(process.env.GITHUB_STATE, `hit=${hit}\nkey=${process.env.INPUT_KEY}\n`);
