//! `gitgrant test`: print one line per scenario file (`ok` or `FAIL` with what was not met)
//! and a count; exit 1 when any failed.

use crate::app::error::AppError;
use crate::app::scenarios::{self, Verdict};
use crate::cli::{Exit, TestArgs};

pub fn run(a: &TestArgs) -> Result<Exit, AppError> {
    let results = scenarios::run(&a.repo, &a.paths)?;
    let (mut passed, mut failed) = (0, 0);
    for r in &results {
        let name = r.file.display();
        match &r.verdict {
            Verdict::Passed => {
                passed += 1;
                println!("ok   {name}");
            }
            Verdict::Failed(problems) => {
                failed += 1;
                println!("FAIL {name}");
                for p in problems {
                    println!("     {p}");
                }
            }
            Verdict::Broken(why) => {
                failed += 1;
                println!("FAIL {why}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(Exit::findings_if(failed > 0))
}
