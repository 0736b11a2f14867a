package wagate

import "github.com/wagate/wagate/clients/go/wagatev1"

// Text is the content of a plain text message (free-form: the contact's
// 24 h window must be open).
func Text(body string) *wagatev1.MessageContent {
	return &wagatev1.MessageContent{Kind: &wagatev1.MessageContent_Text{Text: &wagatev1.Text{Body: body}}}
}

// Template is the content of a template message without parameters; it may
// be sent whether or not the contact's window is open. Set the parameters on
// the returned value's GetTemplate() for templates that take some.
func Template(name, languageCode string) *wagatev1.MessageContent {
	return &wagatev1.MessageContent{Kind: &wagatev1.MessageContent_Template{
		Template: &wagatev1.TemplateMessage{Name: name, LanguageCode: languageCode},
	}}
}

// Image is the content of an image message with an uploaded media id
// (from [Client.UploadMedia]) and an optional caption.
func Image(mediaID, caption string) *wagatev1.MessageContent {
	return &wagatev1.MessageContent{Kind: &wagatev1.MessageContent_Image{Image: &wagatev1.Image{
		Media:   &wagatev1.MediaSource{Source: &wagatev1.MediaSource_Id{Id: mediaID}},
		Caption: caption,
	}}}
}
