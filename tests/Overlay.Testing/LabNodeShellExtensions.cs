using Overlay.Lab;

namespace Overlay.Testing;

/// <summary>iproute2 and other commands inside a lab node, for tests: the independent oracle of the
/// kernel state that Overlay programs through netlink, and a way to break that state by hand.</summary>
public static class LabNodeShellExtensions
{
    /// <summary>Runs a command inside the node (<c>ip netns exec</c>).</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> ExecAsync(this LabNode node, IEnumerable<string> command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Shell.TryRunAsync("ip", ["netns", "exec", node.Namespace, .. command], cancellationToken: cancellationToken);
    }

    /// <summary>iproute2 inside the node (<c>ip -n ns …</c>), throwing on failure.</summary>
    public static Task<string> IpAsync(this LabNode node, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(node);
        return Shell.RunAsync("ip", ["-n", node.Namespace, .. arguments]);
    }
}
