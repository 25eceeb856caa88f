// Starts the vendored Swagger UI on /docs over this server's /openapi.json (no inline script: CSP).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
