namespace Overlay.Backends;

/// <summary>A backend's configuration (the <c>Backend</c> member of net-conf.json) is invalid.</summary>
public sealed class BackendConfigException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="backendType">The backend type whose configuration is at fault.</param>
    /// <param name="jsonPath">The member at fault, for example <c>Backend.VNI</c>; null for the whole object.</param>
    /// <param name="reason">What is wrong.</param>
    /// <param name="innerException">The underlying error.</param>
    public BackendConfigException(string backendType, string? jsonPath, string reason, Exception? innerException = null)
        : base(jsonPath is null ? $"Invalid {backendType} backend configuration: {reason}" : $"Invalid {backendType} backend configuration, member '{jsonPath}': {reason}", innerException)
    {
        BackendType = backendType;
        JsonPath = jsonPath;
    }

    /// <summary>Creates the exception.</summary>
    public BackendConfigException() : this("unknown", null, "invalid configuration")
    {
    }

    /// <summary>Creates the exception.</summary>
    public BackendConfigException(string message) : this("unknown", null, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BackendConfigException(string message, Exception innerException) : this("unknown", null, message, innerException)
    {
    }

    /// <summary>The backend type.</summary>
    public string BackendType { get; }

    /// <summary>The member at fault (<c>Backend.Port</c>), or null.</summary>
    public string? JsonPath { get; }
}
