namespace Overlay.Netlink;

/// <summary>A dump was interrupted (<c>NLM_F_DUMP_INTR</c>): the table changed while it was read, so the result may be inconsistent.</summary>
public class NetlinkDumpInterruptedException : NetlinkException
{
    /// <summary>Creates an exception.</summary>
    public NetlinkDumpInterruptedException()
        : base("The netlink dump was interrupted by a concurrent change; retry it.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">The message.</param>
    public NetlinkDumpInterruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public NetlinkDumpInterruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
