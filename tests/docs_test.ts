/**
 * Executable documentation: one test per `vmtopo`/`vmt` block of docs/*.md and
 * README.md (named `docs/x.md:LINE`, failing with a unified diff), and one test
 * per examples/*.vmt script (must run clean with stopOnError). Files are
 * discovered at test time; an empty or missing folder yields no tests.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, relative } from "node:path";
import { collectBlocks, runBlock } from "../cli/docs_runner.ts";
import { readInclude } from "../cli/io.ts";
import { format } from "../dsl/formatter.ts";
import { Session } from "../dsl/interp/session.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function listDir(dir: string, ext: string): string[] {
  try {
    return [...Deno.readDirSync(join(ROOT, dir))]
      .filter((e) => e.isFile && e.name.endsWith(ext))
      .map((e) => `${dir}/${e.name}`)
      .sort();
  } catch {
    return [];
  }
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(join(ROOT, path)).isFile;
  } catch {
    return false;
  }
}

const docs = [...listDir("docs", ".md"), ...(exists("README.md") ? ["README.md"] : [])];
for (const doc of docs) {
  const path = join(ROOT, doc);
  for (const block of collectBlocks(Deno.readTextFileSync(path), path)) {
    Deno.test(`${doc}:${block.line}`, () => {
      const r = runBlock(block);
      // Show paths relative to the repository in failures.
      assert.ok(
        r.ok,
        `${doc}:${block.line} (${block.lang}) does not match; run \`deno task vmtopo docs --update ${doc}\` if the new output is right\n` +
          r.report.replaceAll(path, doc),
      );
    });
  }
}

for (const example of listDir("examples", ".vmt")) {
  Deno.test(example, () => {
    const path = join(ROOT, example);
    const session = new Session({
      echo: false,
      trace: false,
      color: false,
      stopOnError: true,
      readFile: readInclude,
    });
    const r = session.run(Deno.readTextFileSync(path), relative(ROOT, path));
    assert.ok(
      r.ok,
      `${example} failed (${r.failed} expectation(s) failed):\n${r.lines.join("\n")}`,
    );
  });
}

Deno.test("examples/*.vmt are in `vmtopo fmt` canonical form (the formatter is idempotent on them)", () => {
  for (const example of listDir("examples", ".vmt")) {
    const text = Deno.readTextFileSync(join(ROOT, example));
    const r = format(text, example);
    assert.equal(r.diagnostics.length, 0, example);
    assert.equal(
      r.output,
      text,
      `${example} is not formatted; run \`deno task vmtopo fmt ${example}\``,
    );
  }
});
