"""Classic back-propagation mistakes as plug-in implementations; catalog.toml says what each must give."""
