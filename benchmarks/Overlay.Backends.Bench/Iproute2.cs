using System.Diagnostics;

/// <summary>
/// Runs iproute2 for the baseline rows only (`ip -batch`, `bridge -batch`: what Overlay is compared
/// against). The lab and everything measured as Overlay use netlink and need no iproute2.
/// </summary>
internal static class Iproute2
{
    public static async Task RunAsync(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {string.Join(' ', arguments)}' exited with {process.ExitCode}: {stderr.Trim()}");
        }
    }
}
