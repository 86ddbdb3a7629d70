namespace Overlay.Netlink;

/// <summary>A netlink message or attribute was malformed (truncated, impossible length, wrong size).</summary>
public class NetlinkProtocolException : NetlinkException
{
    /// <summary>Creates an exception.</summary>
    public NetlinkProtocolException()
        : base("Malformed netlink data.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public NetlinkProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NetlinkProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
