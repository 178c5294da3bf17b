-- Also in the test's policy directory, which wins (ModuleSearchPathTest).
return { from = 'bundled' }
