/// The document this module is generated from. `Client`, `Operations` and `Components` are built from
/// Docs/openapi.yaml (linked here as openapi.yaml) at build time by swift-openapi-generator's plug-in, so they cannot
/// drift from it; authentication and error mapping are left to the user's client middlewares.
public enum APIDocument {
    /// The path of the document in the repository.
    public static let path = "Docs/openapi.yaml"
}
