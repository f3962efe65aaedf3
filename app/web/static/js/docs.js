// Swagger UI on /docs, from files the service ships (the fastapi-offline package), never a CDN:
// the page shares its origin with the client that keeps a token in sessionStorage.
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  showExtensions: true,
});
