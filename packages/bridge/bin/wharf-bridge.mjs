#!/usr/bin/env node
// A committed entry point, so npm links `wharf-bridge` on install even before dist/ is built
// (tsc writes dist/main.js without the executable bit).
import '../dist/main.js';
