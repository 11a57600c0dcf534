"""What the state knows of each district's sync and school years, aggregated for its pages."""
