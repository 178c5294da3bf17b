-- A bundled module that does not compile (ModuleSearchPathTest).
return { from = 
