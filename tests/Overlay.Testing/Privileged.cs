using System.Text.Json;
using Overlay.Lab;
using Xunit;

namespace Overlay.Testing;

/// <summary>
/// The privileged tier (tests that need root to create namespaces, devices and mounts): its trait, its
/// guard — skipped with the reason locally, a failure under CI=true / --fail-skips on — and the helpers
/// its tests share.
/// </summary>
public static class Privileged
{
    /// <summary>The trait value: <c>[Trait("Category", Privileged.Category)]</c>.</summary>
    public const string Category = "Privileged";

    /// <summary>Why a privileged test cannot run without root.</summary>
    public const string SkipReason = "needs root (CAP_NET_ADMIN and mount rights) to create network namespaces and devices";

    /// <summary>True when the process may create namespaces and devices.</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess;

    /// <summary>Skips the test without root (<see cref="SkipReason"/>).</summary>
    public static void Require() => Assert.SkipUnless(IsRoot, SkipReason);

    /// <summary>Needs Debian's etcd: skipped with the reason locally, a failure under CI=true (test.sh installs it).</summary>
    public static void RequireEtcd()
    {
        if (EtcdServer.MissingReason is { } reason)
        {
            Assert.SkipWhen(Environment.GetEnvironmentVariable("CI") != "true", reason + "; run ./test.sh as root, or apt-get install etcd-server etcd-client");
            Assert.Fail(reason);
        }
    }

    /// <summary>Waits for a condition with a generous hang guard; asserts that it became true, not how fast.</summary>
    public static Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 60) => EventuallyAsync(condition, () => what, seconds);

    /// <summary>As above, describing the state only when giving up.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, Func<string> what, int seconds = 60)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(what);
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition().ConfigureAwait(false))
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting ({seconds} s hang guard): {(DateTime.UtcNow < deadline ? string.Empty : what())}");
            await Task.Delay(50, TestContext.Current.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The node's routes from <c>ip -j route show [SELECTOR]</c> (the main table unless the selector
    /// says otherwise): the independent oracle.</summary>
    public static async Task<IReadOnlyList<JsonElement>> RoutesAsync(LabNode node, bool ipv6 = false, params string[] selector)
    {
        ArgumentNullException.ThrowIfNull(node);
        string json = await node.IpAsync(["-j", ipv6 ? "-6" : "-4", "route", "show", .. selector]).ConfigureAwait(false);
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>A member of an iproute2 JSON object as text, or null when absent.</summary>
    public static string? Str(this JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.ToString() : null;
}
