namespace Overlay.Subnets;

/// <summary>
/// The registry holds no network configuration (flannel's <c>&lt;prefix&gt;/config</c> key is
/// missing). Transient: an operator or a seeding step may still create it, and an agent keeps
/// asking — saying so in its log and its readiness reason each time.
/// </summary>
public sealed class NetworkConfigNotFoundException : SubnetRegistryException
{
    /// <summary>Creates the exception.</summary>
    public NetworkConfigNotFoundException() : base("The registry holds no network configuration.", isTransient: true)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public NetworkConfigNotFoundException(string message) : base(message, isTransient: true)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public NetworkConfigNotFoundException(string message, Exception? innerException) : base(message, isTransient: true, innerException)
    {
    }

    /// <summary>Creates the exception naming where the configuration was looked for.</summary>
    /// <param name="location">Where the configuration was expected (an etcd key, a file, a ConfigMap).</param>
    /// <param name="message">What to tell the operator, including how to create it.</param>
    public NetworkConfigNotFoundException(string location, string message) : base(message, isTransient: true)
    {
        Location = location;
    }

    /// <summary>Where the configuration was expected (for example the etcd key), when known.</summary>
    public string? Location { get; }
}
