#!/usr/bin/env node
// A committed entry point, so npm links `wharf` on install even before dist/ is built.
import '../dist/main.js';
