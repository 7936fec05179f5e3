// Driven by tests/static: import browser modules of the modeler in Node.
//   node run_modules.mjs durations <durations.js> <cases.json>  -> JSON results per input
//   node run_modules.mjs import <module.js>...                -> "ok" once all are linked
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [command, ...args] = process.argv.slice(2);

if (command === "durations") {
  const durations = await import(pathToFileURL(args[0]).href);
  const cases = JSON.parse(readFileSync(args[1], "utf8"));
  const inputs = cases.valid.map((c) => c.iso).concat(cases.invalid);
  const results = {};
  for (const text of inputs) {
    results[text] = {
      valid: durations.isDuration(text),
      seconds: durations.durationSeconds(text),
      words_id: durations.durationWords(text)
    };
  }
  // A standard typed in words reads back as ISO: "1 jam 30 menit" -> "PT1H30M".
  results.__from_words__ = {};
  for (const c of cases.valid) results.__from_words__[c.words_id] = durations.toIso(c.words_id);
  process.stdout.write(JSON.stringify(results));
} else if (command === "import") {
  // Just enough of a page that main.js, run at import, only registers its listeners.
  const ignore = () => {};
  globalThis.window = { addEventListener: ignore };
  globalThis.document = { readyState: "loading", addEventListener: ignore };
  for (const path of args) await import(pathToFileURL(path).href);
  process.stdout.write("ok");
} else {
  process.stderr.write("unknown command: " + command + "\n");
  process.exit(2);
}
