// The audit pages' behaviour (docs/web.md).
