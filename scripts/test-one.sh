#!/usr/bin/env bash
# Run only the given test files: scripts/test-one.sh test/sgd.test.ts [more…]
exec npx mocha --no-config --node-option import=./scripts/register-loader.mjs --node-option enable-source-maps --timeout 120000 "$@"
