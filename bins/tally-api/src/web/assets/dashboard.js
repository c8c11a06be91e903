// The dashboard pages' behaviour (docs/web.md).
