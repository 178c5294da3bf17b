-- A bundled module for ModuleSearchPathTest (test resources only).
return { from = 'bundled' }
