using Microsoft.Extensions.Options;

namespace Overlay.Subnets.Etcd.Internal;

/// <summary>
/// Validates <see cref="EtcdSubnetRegistryOptions"/> when the options are first read (at host start
/// with <c>ValidateOnStart</c>), with the rules of <see cref="EtcdSubnetRegistryOptions.Validate"/>
/// (one copy: <see cref="EtcdSubnetRegistryOptions.GetFailures"/>). Every invalid setting is
/// reported, each as <c>EtcdSubnetRegistryOptions.&lt;Option&gt;: &lt;reason&gt;</c>; the password is
/// never part of a message. The rules are cross-member (certificate and key together, endpoint
/// schemes against TLS files), which data-annotation attributes and the source-generated
/// <c>[OptionsValidator]</c> cannot express, hence a hand-written validator; it uses no reflection.
/// </summary>
internal sealed class EtcdSubnetRegistryOptionsValidator : IValidateOptions<EtcdSubnetRegistryOptions>
{
    public ValidateOptionsResult Validate(string? name, EtcdSubnetRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<OptionFailure> failures = options.GetFailures();
        return failures.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(failures.Select(f => $"{nameof(EtcdSubnetRegistryOptions)}.{f.Option}: {f.Message}"));
    }
}
