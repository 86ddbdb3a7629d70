using System.Text.Json;
using Overlay.Lab;
using Overlay.Testing;

namespace Overlay.IntegrationTests;

/// <summary>Shared helpers of the privileged tier.</summary>
internal static class Privileged
{
    public const string Category = "Privileged";

    /// <summary>Skips (locally) or fails (CI, --fail-skips on) without root.</summary>
    public static void Require() => Assert.SkipUnless(Environment.IsPrivilegedProcess, "needs root (CAP_NET_ADMIN) to create network namespaces");

    /// <summary>Waits for a condition with a generous hang guard; asserts that it became true, not how fast.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"gave up waiting ({seconds} s hang guard): {what}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The node's routes, from <c>ip -j route</c> (the independent oracle).</summary>
    public static async Task<IReadOnlyList<JsonElement>> RoutesAsync(LabNode node, bool ipv6 = false)
    {
        string json = await node.IpAsync("-j", ipv6 ? "-6" : "-4", "route", "show", "table", "main");
        return [.. JsonDocument.Parse(json).RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    public static string? Str(this JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) ? v.ToString() : null;
}
