using Microsoft.Extensions.Options;

namespace Overlay.Subnets.Kubernetes.Internal;

/// <summary>Validates <see cref="KubernetesSubnetRegistryOptions"/> on start with the rules of
/// <see cref="KubernetesSubnetRegistryOptions.Validate"/>; every failure is reported as
/// <c>KubernetesSubnetRegistryOptions.&lt;Option&gt;: &lt;reason&gt;</c>. No reflection.</summary>
internal sealed class OptionsValidator : IValidateOptions<KubernetesSubnetRegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, KubernetesSubnetRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = options.GetFailures();
        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures.Select(f => $"{nameof(KubernetesSubnetRegistryOptions)}.{f.Option}: {f.Message}"));
    }
}
