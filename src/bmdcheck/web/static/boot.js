// Loaded before Cesium.js: Cesium's workers, imagery and widget assets come from the same origin.
window.CESIUM_BASE_URL = "/cesium/";
