/** `pnpm train --suite`: after export, score the model on the evaluation suite and store it in the model directory. */
import { runModelSuite, writeSuiteToModelDir } from '../model-suite.ts';
import { suiteText } from '../suite-table.ts';

export async function runSuiteAfterExport(dir: string): Promise<void> {
  console.log('\nevaluation suite (pnpm evaluate --suite):');
  const r = await runModelSuite(dir);
  writeSuiteToModelDir(dir, r);
  console.log(suiteText(r));
  console.log(`\nwrote the suite into ${dir}/metrics.json and ${dir}/README.md`);
}
