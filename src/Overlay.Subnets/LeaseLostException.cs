namespace Overlay.Subnets;

/// <summary>The lease being renewed no longer exists in the registry (it was deleted or expired,
/// or another node now holds its subnet). The owner should acquire a lease again.</summary>
public sealed class LeaseLostException : SubnetRegistryException
{
    /// <summary>Creates the exception.</summary>
    public LeaseLostException() : base("The lease no longer exists.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public LeaseLostException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public LeaseLostException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
