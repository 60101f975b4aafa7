// Tokenizes every rule file under the given directories (default: the shipped
// rules) with VS Code's own TextMate engine and checks what a reader sees:
// comments, strings, declarations, rule ids, dates, keywords and codes each get
// their scope, and nothing is left unscoped but names and whitespace.
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const here = __dirname;
const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
const onigLib = oniguruma.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (text) => new oniguruma.OnigString(text),
}));
const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async () =>
    vsctm.parseRawGrammar(
      fs.readFileSync(path.join(here, "..", "syntaxes", "tenet.tmLanguage.json"), "utf8"),
      "tenet.tmLanguage.json"
    ),
});

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return files(full);
    return entry.name.endsWith(".tenet") ? [full] : [];
  });
}

// What each kind of text must be scoped as (the first scope that applies).
const expectations = [
  [/^\/\/.*/, "comment.line.double-slash.tenet"],
  [/^"(?:[^"\\]|\\.)*"$/, "string.quoted.double.tenet"],
  [/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, "constant.numeric.date.tenet"],
  [/^(when|then|cite|effective|until|overrides|applies|confidence)$/, "keyword.control.tenet"],
  [/^(and|or|not|is|in|otherwise)$/, "keyword.operator.word.tenet"],
];

async function main() {
  const grammar = await registry.loadGrammar("source.tenet");
  const dirs = process.argv.slice(2);
  const roots = dirs.length ? dirs : [path.join(here, "..", "..", "..", "rules")];
  let checked = 0;
  const problems = [];
  const seen = new Set();
  for (const file of roots.flatMap(files)) {
    let state = vsctm.INITIAL;
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    lines.forEach((line, number) => {
      const result = grammar.tokenizeLine(line, state);
      state = result.ruleStack;
      for (const token of result.tokens) {
        const text = line.slice(token.startIndex, token.endIndex);
        const scopes = token.scopes.slice(1);
        scopes.forEach((scope) => seen.add(scope.split(".").slice(0, 2).join(".")));
        checked += 1;
        for (const [pattern, scope] of expectations) {
          if (pattern.test(text) && !scopes.includes(scope) && !scopes.some((s) => s.startsWith("comment") || s.startsWith("string") || s.startsWith("entity.name"))) {
            problems.push(`${file}:${number + 1}: \`${text}\` is ${scopes.join(" ") || "unscoped"}, expected ${scope}`);
          }
        }
        // A rule declaration names its id.
        const declared = /^\s*rule\s+([A-Za-z][A-Za-z0-9_-]*)/.exec(line);
        if (declared && text === declared[1] && !scopes.includes("entity.name.function.rule-id.tenet")) {
          problems.push(`${file}:${number + 1}: rule id \`${text}\` is ${scopes.join(" ") || "unscoped"}`);
        }
      }
    });
  }
  for (const kind of ["comment.line", "string.quoted", "keyword.declaration", "entity.name", "constant.numeric", "constant.other", "variable.other"]) {
    if (!seen.has(kind)) problems.push(`no token was scoped ${kind}`);
  }
  if (problems.length) {
    console.error(problems.slice(0, 40).join("\n"));
    console.error(`${problems.length} problems in ${checked} tokens`);
    process.exit(1);
  }
  console.log(`grammar: ${checked} tokens of the rule files scoped as expected`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
