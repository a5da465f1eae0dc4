// Swagger UI on /_chalicelike/docs/, reading the app's spec from this server. A file, not an
// inline script: the page's CSP runs no inline code.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  window.ui = SwaggerUIBundle({
    url: "/_chalicelike/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // The default sends the spec to validator.swagger.io for a badge: nothing leaves this machine.
    validatorUrl: null,
    // Requests go to the app on this same origin: the spec's one server.
    tryItOutEnabled: false,
    displayRequestDuration: true,
  });
});
