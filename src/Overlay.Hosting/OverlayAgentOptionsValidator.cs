using System.Net;
using Microsoft.Extensions.Options;
using Overlay.Hosting.Internal;
using Overlay.Netlink;

namespace Overlay.Hosting;

/// <summary>Validates <see cref="OverlayAgentOptions"/> with flanneld's rules and messages
/// (hand-written: no reflection, AOT-safe).</summary>
internal sealed class OverlayAgentOptionsValidator : IValidateOptions<OverlayAgentOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, OverlayAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (options.SubnetLeaseRenewMargin < TimeSpan.FromMinutes(1) || options.SubnetLeaseRenewMargin > TimeSpan.FromMinutes(1439))
        {
            failures.Add($"Invalid subnet-lease-renew-margin option, out of acceptable range: {options.SubnetLeaseRenewMargin.TotalMinutes} minutes (1 to 1439).");
        }

        if (string.IsNullOrWhiteSpace(options.SubnetFilePath))
        {
            failures.Add("SubnetFilePath must be set.");
        }

        if (!IPAddress.TryParse(options.HealthzIP, out _))
        {
            failures.Add($"HealthzIP '{options.HealthzIP}' is not an IP address.");
        }

        if (options.HealthzPort is < 0 or > 65535)
        {
            failures.Add($"HealthzPort {options.HealthzPort} is out of range (0 turns the health server off, else 1 to 65535).");
        }

        if (options.ResyncInterval <= TimeSpan.Zero)
        {
            failures.Add("ResyncInterval must be positive.");
        }

        if (options.ConfigRetryInterval <= TimeSpan.Zero)
        {
            failures.Add("ConfigRetryInterval must be positive.");
        }

        if (options.RetryInitialDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryInitialDelay)
        {
            failures.Add("RetryInitialDelay must be positive and RetryMaxDelay at least as long.");
        }

        if (options.BlackholeRouteProtocol <= 4 || options.BlackholeRouteProtocol == options.Reconcile?.RouteProtocol)
        {
            failures.Add($"BlackholeRouteProtocol {options.BlackholeRouteProtocol} must be above 4 and differ from the backends' route protocol.");
        }

        if (options.PublicIPProblem() is { } problem)
        {
            failures.Add(problem);
        }

        if (options.NetlinkOptions is null || options.Reconcile is null)
        {
            failures.Add("NetlinkOptions and Reconcile must be set.");
        }
        else if (options.NetlinkOptions.NetworkNamespace is not null)
        {
            failures.Add("NetlinkOptions.NetworkNamespace must not be set: options carry no handles. Set NetworkNamespace to the namespace's name or path.");
        }

        if (options.NetworkNamespace is { } ns && !NetworkNamespaceOption.IsValid(ns))
        {
            failures.Add($"NetworkNamespace '{ns}' is neither the name of a named namespace (no '/') nor an absolute path.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
