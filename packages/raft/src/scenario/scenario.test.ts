// Runs every testdata/*.txt scenario: blocks of commands, a `----` line, and the expected trace,
// separated by blank lines. Regenerate after an intended behaviour change with
// RAFT_SCENARIO_REWRITE=1 npx jest packages/raft/src/scenario, then review the diff.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScenarioInterpreter } from './interpreter';

const dir = join(__dirname, 'testdata');
const rewrite = process.env.RAFT_SCENARIO_REWRITE === '1';

interface Block {
  commands: string[];
  expected: string[];
  line: number;
}

function parse(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const first = lines[i] ?? '';
    if (first.trim() === '' || first.startsWith('#')) {
      i++;
      continue;
    }
    const b: Block = { commands: [], expected: [], line: i + 1 };
    for (let l = lines[i]; l !== undefined && l !== '----'; l = lines[++i]) b.commands.push(l);
    i++; // ----
    for (let l = lines[i]; l !== undefined && l.trim() !== ''; l = lines[++i]) b.expected.push(l);
    blocks.push(b);
  }
  return blocks;
}

const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('raft scenarios', () => {
  test('there are scenarios to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files)('%s', (file) => {
    const path = join(dir, file);
    const text = readFileSync(path, 'utf8');
    const it = new ScenarioInterpreter();
    const blocks = parse(text);
    const rendered: string[] = [];
    const header = text
      .split('\n')
      .filter((l, idx, all) => l.startsWith('#') && all.slice(0, idx).every((p) => p.startsWith('#')));
    if (header.length > 0) rendered.push(header.join('\n'), '');
    for (const b of blocks) {
      const ran = b.commands.flatMap((c) => it.run(c));
      const actual = ran.length > 0 ? ran : ['ok'];
      if (!rewrite) {
        expect({ at: `${file}:${b.line}`, commands: b.commands, output: actual }).toEqual({
          at: `${file}:${b.line}`,
          commands: b.commands,
          output: b.expected,
        });
      }
      rendered.push([...b.commands, '----', ...actual].join('\n'), '');
    }
    if (rewrite) writeFileSync(path, rendered.join('\n'));
  });
});
