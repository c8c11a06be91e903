// The monitor pages' behaviour (docs/web.md).
