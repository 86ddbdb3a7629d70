namespace Overlay.Encap.Tests.Infrastructure;

public static class Privileged
{
    public const string Category = "Privileged";

    public const string SkipReason = "needs root (CAP_NET_ADMIN) to create network namespaces, TUN and VXLAN devices";

    public static bool IsRoot => Environment.IsPrivilegedProcess;
}
