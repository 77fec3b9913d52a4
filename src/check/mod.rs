//! Stage 3: spanned AST → checked model, with every diagnostic of the project.
use crate::diagnostics::Diagnostic;
use crate::project::Project;

/// Check a loaded project; returns the parser's and the checker's diagnostics.
pub fn check_project(project: &Project) -> Vec<Diagnostic> {
    project.diagnostics.clone()
}
