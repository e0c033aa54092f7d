"""Defence layer: interceptors, sensors, fly-out tables and engagement windows."""
